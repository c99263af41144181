from django.urls import path

from generations import views

urlpatterns = [
    path("poll/", views.poll, name="generation_poll"),
    path("<uuid:pk>/card/", views.card, name="generation_card"),
    path("<uuid:pk>/video.mp4", views.video, name="generation_video"),
    path("<uuid:pk>/poster.jpg", views.poster, name="generation_poster"),
    path("<uuid:pk>/download/", views.download, name="generation_download"),
]
urlpatterns += [
    path("<uuid:pk>/admin-video.mp4", views.admin_video, name="admin_generation_video"),
    path("<uuid:pk>/admin-poster.jpg", views.admin_poster, name="admin_generation_poster"),
]
