"""The demo application (``python -m demo_app``); its gateway arrives with the pipeline issue."""
