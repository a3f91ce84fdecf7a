"""Authors, posts, comments and tags as Django models."""

from __future__ import annotations

from django.db import models


class Author(models.Model):  # type: ignore[misc]
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "djapp"


class Tag(models.Model):  # type: ignore[misc]
    label = models.CharField(max_length=50)

    class Meta:
        app_label = "djapp"
        ordering = ("label",)


class Post(models.Model):  # type: ignore[misc]
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="posts")
    tags = models.ManyToManyField(Tag, related_name="posts")

    class Meta:
        app_label = "djapp"

    def shout(self) -> str:
        return str(self.title).upper()


class Comment(models.Model):  # type: ignore[misc]
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="comments")
    text = models.CharField(max_length=200)
    created = models.IntegerField()

    class Meta:
        app_label = "djapp"
        ordering = ("-created",)
