"""The HTTP routes, one router per concern; ``service.api.create_app`` includes them in
this order (the OpenAPI schema lists the paths in it):

- ``page``: the web page ``/``, its ``/static`` files, ``/favicon.ico``, ``/docs`` and
  ``/redoc`` (``service.docs``);
- ``slack``: ``POST /slack/events``, when Slack is configured;
- ``health``: ``/metrics``, ``/healthz``, ``/readyz``;
- ``documents``: ``/documents`` and ``/documents/{doc_id}``;
- ``ask``: ``POST /ask``.

Routes reach the app's state and the loaded pipeline through the typed dependencies of
``service.state`` (``StateDep``, ``PipelineDep``).
"""
