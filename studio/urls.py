from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from generations import (
    batch_views,
    comparison_views,
    export_views,
    library_views,
    public_views,
    storyboard_views,
    takes_views,
)
from generations import views as generation_views
from studio import public_pages, views, wizard

admin.site.site_header = admin.site.site_title = admin.site.index_title = "Studio admin"
admin.site.enable_nav_sidebar = False  # the lists get the width (1280 px fits them); the index lists every model

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("create/", views.create, name="create"),
    path("create/options/", views.form_options, name="form_options"),
    path("prompts/save/", views.save_prompt, name="save_prompt"),
    path("prompts/<int:pk>/delete/", views.delete_saved_prompt, name="delete_saved_prompt"),
    path("animate/", wizard.start, name="wizard"),
    path("animate/new/", wizard.start_over, name="wizard_new"),
    path("animate/<uuid:pk>/upload/", wizard.upload, name="wizard_upload"),
    path("animate/<uuid:pk>/choose/", wizard.choose, name="wizard_choose"),
    path("animate/<uuid:pk>/pictures/delete/", wizard.delete_picture, name="wizard_delete_picture"),
    path("animate/<uuid:pk>/frame/", wizard.frame, name="wizard_frame"),
    path("animate/<uuid:pk>/make/", wizard.make, name="wizard_make"),
    path("animate/<uuid:pk>/make/status/", wizard.make_status, name="wizard_make_status"),
    path("animate/<uuid:pk>/settings/preview/", wizard.settings_preview, name="wizard_settings_preview"),
    path("animate/<uuid:pk>/submit/", wizard.submit, name="wizard_submit"),
    path("animate/<uuid:pk>/<str:step>/", wizard.step, name="wizard_step"),
    path("p/<str:token>.jpg", generation_views.picture_for_pixapi, name="picture_for_pixapi"),
    path("healthz/", views.healthz, name="healthz"),
    path("pricing/", public_pages.pricing, name="pricing"),
    path("pricing/ask/", public_pages.upgrade_request, name="upgrade_request"),
    path("generations/", include("generations.urls")),
    path("queue/", include("generations.queue_views")),
    path("accounts/", include("accounts.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

if settings.PIXAPI_USE_SANDBOX:
    urlpatterns.append(path("pixapi-sandbox/", include("sandbox.urls")))

# The library, and the pages anyone may open: share links, creator pages, the featured gallery.
urlpatterns += [
    path("library/", library_views.library_page, name="library"),
    path("library/bulk/", library_views.library_bulk, name="library_bulk"),
    path("library/collections/new/", library_views.collection_create, name="collection_create"),
    path("library/collections/<int:pk>/rename/", library_views.collection_rename, name="collection_rename"),
    path("library/collections/<int:pk>/delete/", library_views.collection_delete, name="collection_delete"),
    path("library/export/", export_views.export_zip, name="library_export"),
    path("library/export/<str:token>/", export_views.export_download, name="export_download"),
    path("s/<str:token>/", public_views.shared_video, name="shared_video"),
    path("s/<str:token>/video.mp4", public_views.shared_video_file, name="shared_video_file"),
    path("s/<str:token>/poster.jpg", public_views.shared_poster, name="shared_poster"),
    path("@<str:handle>/", public_views.gallery, name="gallery"),
    path("featured/", public_views.featured, name="featured"),
]

# Batches: many prompts at once, confirmed once.
urlpatterns += [
    path("batches/", batch_views.batch_list, name="batch_list"),
    path("batches/new/", batch_views.batch_new, name="batch_new"),
    path("batches/new/options/", batch_views.batch_options, name="batch_options"),
    path("batches/<int:pk>/", batch_views.batch_detail, name="batch_detail"),
]

# Takes: keep one of a comparison, bring one back, a default model, a draft made final; the Models page.
urlpatterns += [
    path("compare/<int:pk>/keep/<uuid:take>/", takes_views.keep, name="take_keep"),
    path("compare/<int:pk>/default/<uuid:take>/", takes_views.use_default, name="take_default"),
    path("generations/<uuid:pk>/restore/", takes_views.restore, name="generation_restore"),
    path("generations/<uuid:pk>/final/", takes_views.make_final, name="generation_final"),
    path("models/", takes_views.models_page, name="models"),
    path("models/samples/<int:pk>.<str:kind>", takes_views.sample_file, name="model_sample_file"),
]

# Comparisons: one idea on several models, confirmed once, played side by side; the grid may be shared.
urlpatterns += [
    path("compare/", comparison_views.comparison_list, name="compare_list"),
    path("compare/new/", comparison_views.compare_new, name="compare_new"),
    path("compare/start/", comparison_views.compare_start, name="compare_start"),
    path("compare/<int:pk>/", comparison_views.comparison, name="comparison"),
    path("compare/<int:pk>/poll/", comparison_views.comparison_poll, name="comparison_poll"),
    path("compare/<int:pk>/share/", comparison_views.comparison_share, name="comparison_share"),
    path("compare/<int:pk>/unshare/", comparison_views.comparison_unshare, name="comparison_unshare"),
    path("c/<str:token>/", comparison_views.shared_comparison, name="shared_comparison"),
    path("c/<str:token>/<int:number>.mp4", comparison_views.shared_comparison_file, name="shared_comparison_file"),
]

# Storyboards: shots in order, made with one confirmation, shaped, exported as one video.
urlpatterns += [
    path("storyboards/", storyboard_views.storyboard_list, name="storyboard_list"),
    path("storyboards/new/", storyboard_views.storyboard_new, name="storyboard_new"),
    path("storyboards/<int:pk>/", storyboard_views.storyboard, name="storyboard"),
    path("storyboards/<int:pk>/poll/", storyboard_views.storyboard_poll, name="storyboard_poll"),
    path("storyboards/<int:pk>/rename/", storyboard_views.board_rename, name="storyboard_rename"),
    path("storyboards/<int:pk>/delete/", storyboard_views.board_delete, name="storyboard_delete"),
    path("storyboards/<int:pk>/make/", storyboard_views.board_make, name="storyboard_make"),
    path("storyboards/<int:pk>/order/", storyboard_views.board_order, name="storyboard_order"),
    path("storyboards/<int:pk>/export/", storyboard_views.board_export, name="storyboard_export"),
    path("storyboards/<int:pk>/shots/", storyboard_views.shot_add, name="storyboard_shot_add"),
    path("storyboards/<int:pk>/shots/<int:shot_pk>/move/", storyboard_views.shot_move, name="storyboard_shot_move"),
    path(
        "storyboards/<int:pk>/shots/<int:shot_pk>/retake/", storyboard_views.shot_retake, name="storyboard_shot_retake"
    ),
    path(
        "storyboards/<int:pk>/shots/<int:shot_pk>/choose/", storyboard_views.shot_choose, name="storyboard_shot_choose"
    ),
    path("storyboards/<int:pk>/shots/<int:shot_pk>/cut/", storyboard_views.shot_cut, name="storyboard_shot_cut"),
    path(
        "storyboards/<int:pk>/shots/<int:shot_pk>/delete/", storyboard_views.shot_delete, name="storyboard_shot_delete"
    ),
]
