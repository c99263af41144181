from django import template

from generations.models import Generation, StoryboardExport

register = template.Library()


@register.simple_tag
def storyboard_lineage(gen):
    """{% storyboard_lineage gen as lineage %}: on a video's page, the storyboard export it is (its board,
    version and parts, each with its take) or the storyboard shot it is a take of; None for other videos."""
    export = StoryboardExport.objects.filter(video_id=gen.pk).select_related("storyboard").first()
    if export is not None:
        takes = Generation.objects.filter(pk__in=[p["take"] for p in export.parts], user_id=gen.user_id)
        takes = {str(t.pk): t for t in takes.select_related("model")}
        parts = [{**p, "take_video": takes.get(p["take"])} for p in export.parts]
        return {"export": export, "board": export.storyboard, "parts": parts}
    shot = gen.shot if gen.shot_id else None
    if shot is not None and shot.storyboard.user_id == gen.user_id:
        order = list(shot.storyboard.shots.values_list("pk", flat=True))
        return {"shot": shot, "board": shot.storyboard, "number": order.index(shot.pk) + 1}
    return None
