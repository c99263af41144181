from django import template

from generations import waiting

register = template.Library()


@register.simple_tag(takes_context=True)
def waiting_words(context, gen):
    """{% waiting_words gen as words %}: why a waiting video waits and its place in line (generations.waiting).
    What every card of the creator is described from is read once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or user.pk != gen.user_id:
        return waiting.describe(gen)
    if getattr(request, "_waiting_facts", None) is None:
        request._waiting_facts = waiting.facts_for(user)
    return waiting.describe(gen, facts=request._waiting_facts)
