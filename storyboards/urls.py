from django.urls import path

from storyboards import views

# Storyboards: shots in order, made with one confirmation, shaped, exported as one video.
urlpatterns = [
    path("storyboards/", views.storyboard_list, name="storyboard_list"),
    path("storyboards/new/", views.storyboard_new, name="storyboard_new"),
    path("storyboards/<int:pk>/", views.storyboard, name="storyboard"),
    path("storyboards/<int:pk>/poll/", views.storyboard_poll, name="storyboard_poll"),
    path("storyboards/<int:pk>/rename/", views.board_rename, name="storyboard_rename"),
    path("storyboards/<int:pk>/delete/", views.board_delete, name="storyboard_delete"),
    path("storyboards/<int:pk>/make/", views.board_make, name="storyboard_make"),
    path("storyboards/<int:pk>/order/", views.board_order, name="storyboard_order"),
    path("storyboards/<int:pk>/export/", views.board_export, name="storyboard_export"),
    path("storyboards/<int:pk>/shots/", views.shot_add, name="storyboard_shot_add"),
    path("storyboards/<int:pk>/shots/<int:shot_pk>/move/", views.shot_move, name="storyboard_shot_move"),
    path("storyboards/<int:pk>/shots/<int:shot_pk>/retake/", views.shot_retake, name="storyboard_shot_retake"),
    path("storyboards/<int:pk>/shots/<int:shot_pk>/choose/", views.shot_choose, name="storyboard_shot_choose"),
    path("storyboards/<int:pk>/shots/<int:shot_pk>/cut/", views.shot_cut, name="storyboard_shot_cut"),
    path("storyboards/<int:pk>/shots/<int:shot_pk>/delete/", views.shot_delete, name="storyboard_shot_delete"),
]
