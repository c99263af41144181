"""The keeper figures on pages that may not import generations (the usage page lives in accounts)."""

from django import template

from compare.takes import keeper_figures
from generations.models import Generation

register = template.Library()


@register.inclusion_tag("compare/keeper_figures.html")
def keeper_figures_for(user):
    """A creator's takes kept and set aside per model, and the credits per second kept."""
    rows, total = keeper_figures(Generation.objects.for_user(user))
    return {"rows": rows, "total": total, "mine": True}


@register.inclusion_tag("admin/keeper_figures.html")
def studio_keeper_figures():
    """The same across the studio, for admin."""
    rows, total = keeper_figures(Generation.objects.all())
    return {"rows": rows, "total": total, "mine": False}
