"""The Streamlit app of the IoT SMM assessment assistant: a thin face over ``assistant.*``.

``ui/app.py`` is the entry point (``smm ui`` runs it); the pages live in ``ui/app_pages/``. The
helper modules here hold no assessment logic: they call the same Interview, scorer and report
functions as the command line and only arrange their results on screen.
"""
