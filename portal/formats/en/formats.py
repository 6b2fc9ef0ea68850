"""English dates in one style: Django's own ("N j, Y") writes "Sept." and "Nov." but "April"
and "July", so a page mixes abbreviations and full names. Every month here is three letters."""

from __future__ import annotations

DATE_FORMAT = "M j, Y"  # Sep 26, 2026
DATETIME_FORMAT = "M j, Y, g:i A"  # Sep 26, 2026, 4:05 PM
MONTH_DAY_FORMAT = "M j"
SHORT_DATE_FORMAT = "M j, Y"
SHORT_DATETIME_FORMAT = "M j, Y, g:i A"
YEAR_MONTH_FORMAT = "M Y"
