"""The blog of tests/blog_data.py as Django models."""

from __future__ import annotations

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=50)


class Tag(models.Model):
    label = models.CharField(max_length=50)


class Post(models.Model):
    title = models.CharField(max_length=50)
    created = models.IntegerField()
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="posts")
    tags = models.ManyToManyField(Tag, related_name="posts")


class Comment(models.Model):
    text = models.CharField(max_length=50)
    at = models.DateTimeField()
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Author, null=True, on_delete=models.CASCADE, related_name="+")
