from django.urls import path

from compare import takes_views, views

# Comparisons: one idea on several models, confirmed once, played side by side; the grid may be shared.
urlpatterns = [
    path("compare/", views.comparison_list, name="compare_list"),
    path("compare/new/", views.compare_new, name="compare_new"),
    path("compare/start/", views.compare_start, name="compare_start"),
    path("compare/<int:pk>/", views.comparison, name="comparison"),
    path("compare/<int:pk>/poll/", views.comparison_poll, name="comparison_poll"),
    path("compare/<int:pk>/share/", views.comparison_share, name="comparison_share"),
    path("compare/<int:pk>/unshare/", views.comparison_unshare, name="comparison_unshare"),
    path("c/<str:token>/", views.shared_comparison, name="shared_comparison"),
    path("c/<str:token>/<int:number>.mp4", views.shared_comparison_file, name="shared_comparison_file"),
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
