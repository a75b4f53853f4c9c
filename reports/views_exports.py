"""My exports (我的导出): the big exports a worker writes, their progress, the download, for their owner only."""
from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render

from recon.core.permissions import requires

from .models import ExportJob

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


@requires()
def export_list(request):
    """The user's exports, newest first; unfinished ones poll their progress."""
    jobs = ExportJob.objects.filter(user=request.user).order_by("-created_at", "-id")[:100]
    return render(request, "reports/export_list.html", {"jobs": jobs, "keep_days": settings.EXPORT_KEEP_DAYS})


@requires()
def export_status(request, pk: int):
    job = get_object_or_404(ExportJob, pk=pk, user=request.user)
    return JsonResponse({"status": job.status, "status_label": str(job.get_status_display()), "percent": job.progress_percent,
                         "done": job.progress_current, "total": job.progress_total, "finished": job.is_finished,
                         "error": job.error})


@requires()
def export_download(request, pk: int):
    # Another user's export is as if it did not exist: its id says nothing about it.
    job = get_object_or_404(ExportJob, pk=pk, user=request.user)
    if job.status != ExportJob.Status.SUCCEEDED or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename,
                        content_type=CONTENT_TYPES.get(job.format, "application/octet-stream"))
