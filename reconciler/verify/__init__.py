"""Verification beyond RUNNING: run log checks, API endpoints and smoke calls with sniffed outputs.

Pure checks (logs, sniff, expect) take data and return outcomes; `runner` drives them against a
live Space through two narrow ports: the Hub adapter (stage, host, run log) and the gradio
adapter (`gradio_api`, the only importer of gradio_client). Outcomes are closed types
(`outcomes`); text is made by reconciler/render/verify_text.py.
"""
