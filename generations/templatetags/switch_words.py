"""Whether a waiting video's model is still there for its creator (generations.switching).

{% load switch_words %}
{% if gen|model_unavailable %}<p>{{ gen|model_unavailable }}</p>
  <a href="{% url 'generation_switch' gen.pk %}">Switch model</a>{% endif %}
"""

from django import template

from accounts.offer import offer_for
from generations import switching

register = template.Library()


@register.filter
def model_unavailable(gen):
    """Why its model cannot make it now (off, no longer in the plan, paused for maintenance), or ""."""
    why = switching.unavailable(gen, offer_for(gen.user))
    return why.words if why else ""
