"""Beta signoff from evidence (task 258): KPIs, checklist and GO / NO-GO, and the drills."""
