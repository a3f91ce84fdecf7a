"""A Django app for the graphfields.django tests (settings in tests/test_django.py)."""
