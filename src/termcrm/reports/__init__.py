"""Reports: headless functions ``(session, actor, Params) -> Report`` computed in SQL.

The TUI's reports screen, ``termcrm report`` and the nightly batch draw the same
:class:`~termcrm.reports.model.Report`. ``REPORTS`` names every report; a report's
module is imported when it is run.
"""
