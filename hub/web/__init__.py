"""Pieces of the web layer shared by the API and the console."""
