from django.urls import path

from api import views
from api.endpoints import api

urlpatterns = [
    path("", views.guide, name="api_guide"),
    path("tokens/", views.tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="api_token_revoke"),
    path("v1/", api.urls),
]
