"""django-q2 task functions: thin entries into the worker's modules, enqueued by the names in
generations.taskqueue."""

from generations import export, lifecycle, picture_worker


def submit_generation(generation_id):
    return lifecycle.submit(generation_id)


def download_result(generation_id):
    return lifecycle.download(generation_id)


def make_pictures(request_id):
    return picture_worker.make(request_id)


def export_to_storage(user_id, kind, pk=None):
    return export.export_to_storage(user_id, kind, pk)
