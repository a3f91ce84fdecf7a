"""graphfields for Django (extra ``django``): ``graphfields.django.orm`` pushes a selection
down into the Django ORM."""
