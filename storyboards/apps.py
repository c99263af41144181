from django.apps import AppConfig


class StoryboardsConfig(AppConfig):
    name = "storyboards"
