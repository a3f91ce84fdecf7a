"""A Django project for the graphfields.django.orm tests, run by Django's test runner
(``tests/test_django_orm.py`` starts it on SQLite and on PostgreSQL)."""
