from django.urls import path

from generations import library_views, retry_views, views

urlpatterns = [
    path("poll/", views.poll, name="generation_poll"),
    path("<uuid:pk>/card/", views.card, name="generation_card"),
    path("<uuid:pk>/video.mp4", views.video, name="generation_video"),
    path("<uuid:pk>/poster.jpg", views.poster, name="generation_poster"),
    path("<uuid:pk>/download/", views.download, name="generation_download"),
]
urlpatterns += [
    path("pictures/<uuid:pk>/<str:kind>.jpg", views.picture_image, name="picture_image"),
    path("<uuid:pk>/admin-video.mp4", views.admin_video, name="admin_generation_video"),
    path("<uuid:pk>/admin-poster.jpg", views.admin_poster, name="admin_generation_poster"),
]

# One generation's page, and what its creator does there.
urlpatterns += [
    path("<uuid:pk>/", library_views.detail, name="generation_detail"),
    path("<uuid:pk>/favourite/", library_views.favourite, name="generation_favourite"),
    path("<uuid:pk>/move/", library_views.move_one, name="generation_move"),
    path("<uuid:pk>/share/", library_views.share, name="generation_share"),
    path("<uuid:pk>/unshare/", library_views.unshare, name="generation_unshare"),
    path("<uuid:pk>/title/", library_views.set_title, name="generation_title"),
]

# Try a failed video again (the same settings, or another model), and switch a waiting video's model.
urlpatterns += [
    path("<uuid:pk>/retry/", retry_views.retry, name="generation_retry"),
    path("<uuid:pk>/switch/", retry_views.switch, name="generation_switch"),
]
