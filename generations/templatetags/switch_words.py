"""Whether a waiting video's model is still there for its creator (generations.switching).

{% load switch_words %}
{% model_unavailable gen as why %}{% if why %}<p>{{ why }}</p>
  <a href="{% url 'generation_switch' gen.pk %}">Switch model</a>{% endif %}
"""

from django import template

from accounts.offer import offer_for
from generations import switching

register = template.Library()


@register.simple_tag(takes_context=True)
def model_unavailable(context, gen):
    """Why its model cannot make it now (off, no longer in the plan, paused for maintenance), or "".
    The creator's offer is read once per request, however many cards ask."""
    request = context.get("request")
    if request is not None and getattr(request.user, "pk", None) == gen.user_id:
        if not hasattr(request, "_offer_for_cards"):
            request._offer_for_cards = offer_for(request.user)
        offer = request._offer_for_cards
    else:
        offer = offer_for(gen.user)
    why = switching.unavailable(gen, offer)
    return why.words if why else ""
