from django.urls import path

from batches import views

urlpatterns = [
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/new/", views.batch_new, name="batch_new"),
    path("batches/new/options/", views.batch_options, name="batch_options"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
]
