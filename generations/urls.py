from django.urls import path

from generations import queue_views, retry_views, views

# A video's files, its card and the dashboard's poller.
urlpatterns = [
    path("generations/poll/", views.poll, name="generation_poll"),
    path("generations/<uuid:pk>/card/", views.card, name="generation_card"),
    path("generations/<uuid:pk>/video.mp4", views.video, name="generation_video"),
    path("generations/<uuid:pk>/poster.jpg", views.poster, name="generation_poster"),
    path("generations/<uuid:pk>/download/", views.download, name="generation_download"),
    path("generations/pictures/<uuid:pk>/<str:kind>.jpg", views.picture_image, name="picture_image"),
    path("generations/<uuid:pk>/admin-video.mp4", views.admin_video, name="admin_generation_video"),
    path("generations/<uuid:pk>/admin-poster.jpg", views.admin_poster, name="admin_generation_poster"),
    path("p/<str:token>.jpg", views.picture_for_pixapi, name="picture_for_pixapi"),
]

# Try a failed video again (the same settings, or another model), and switch a waiting video's model.
urlpatterns += [
    path("generations/<uuid:pk>/retry/", retry_views.retry, name="generation_retry"),
    path("generations/<uuid:pk>/switch/", retry_views.switch, name="generation_switch"),
]

# The studio's own queue: reorder, edit, pause and cancel while a video waits.
urlpatterns += [
    path("queue/", queue_views.queue_page, name="queue"),
    path("queue/reorder/", queue_views.reorder, name="queue_reorder"),
    path("queue/pause/", queue_views.pause_all, name="queue_pause_all"),
    path("queue/<uuid:pk>/edit/", queue_views.edit, name="queue_edit"),
    path("queue/<uuid:pk>/move/", queue_views.move, name="queue_move"),
    path("queue/<uuid:pk>/pause/", queue_views.pause, name="queue_pause"),
    path("queue/<uuid:pk>/cancel/", queue_views.cancel, name="queue_cancel"),
]
