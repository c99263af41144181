from django.urls import path

from library import export_views, public_views, views

# One video's page, and what its creator does there.
urlpatterns = [
    path("generations/<uuid:pk>/", views.detail, name="generation_detail"),
    path("generations/<uuid:pk>/favourite/", views.favourite, name="generation_favourite"),
    path("generations/<uuid:pk>/move/", views.move_one, name="generation_move"),
    path("generations/<uuid:pk>/share/", views.share, name="generation_share"),
    path("generations/<uuid:pk>/unshare/", views.unshare, name="generation_unshare"),
    path("generations/<uuid:pk>/title/", views.set_title, name="generation_title"),
]

# The library, its collections and its export.
urlpatterns += [
    path("library/", views.library_page, name="library"),
    path("library/bulk/", views.library_bulk, name="library_bulk"),
    path("library/collections/new/", views.collection_create, name="collection_create"),
    path("library/collections/<int:pk>/rename/", views.collection_rename, name="collection_rename"),
    path("library/collections/<int:pk>/delete/", views.collection_delete, name="collection_delete"),
    path("library/export/", export_views.export_zip, name="library_export"),
    path("library/export/<str:token>/", export_views.export_download, name="export_download"),
]

# The pages anyone may open: share links, creator pages, the featured gallery.
urlpatterns += [
    path("s/<str:token>/", public_views.shared_video, name="shared_video"),
    path("s/<str:token>/video.mp4", public_views.shared_video_file, name="shared_video_file"),
    path("s/<str:token>/poster.jpg", public_views.shared_poster, name="shared_poster"),
    path("@<str:handle>/", public_views.gallery, name="gallery"),
    path("featured/", public_views.featured, name="featured"),
]
