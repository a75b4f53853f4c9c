# Django groups Chinese numbers by 万 (4 digits) with no separator at all, so ¥24244.92 showed bare while English
# showed ¥24,244.92. Finance staff and couriers' bills write money in groups of three with commas: ¥24,244.92.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
