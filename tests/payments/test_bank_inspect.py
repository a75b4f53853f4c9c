import json
from pathlib import Path
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"

def test_dump(client, finance_user):
    client.force_login(finance_user)
    for p in ["payments/bank/camt053-normal.xml", "real/mt940/jejik-ing.sta", "real/cn_bank/cmb-debit-records.csv", "payments/bank/letter.txt", "real/ofx/bank_medium.ofx"]:
        r = client.post(reverse("bank-inspect"), {"file": SimpleUploadedFile(Path(p).name, (FIXTURES / p).read_bytes()), "account": ""})
        print(p, r.status_code, json.dumps(r.json(), ensure_ascii=False, indent=1))
