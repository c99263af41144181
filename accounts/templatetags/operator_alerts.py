from django import template

from accounts import alerts

register = template.Library()


@register.inclusion_tag("admin/operator_alerts.html")
def operator_alerts():
    """The open alerts, for the top of every admin page."""
    return {"alerts": list(alerts.open_alerts()[:5])}
