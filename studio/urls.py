from django.urls import path

from studio import public_pages, views, wizard

# The creator's front: the dashboard, the create form, saved prompts, the wizard, the front door's pricing.
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
    path("ping/", views.ping, name="ping"),
    path("pricing/", public_pages.pricing, name="pricing"),
    path("pricing/ask/", public_pages.upgrade_request, name="upgrade_request"),
]
