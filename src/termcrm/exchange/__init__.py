"""Import and export: spreadsheets, CSV, vCard and iCalendar, over the services.

Headless: nothing here imports textual. Heavy readers and writers (openpyxl,
python-calamine, vobject, icalendar, rapidfuzz) are imported where they are used.
"""
