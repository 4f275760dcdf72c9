"""Plumbing every service shares, and no domain (a test checks it names no service).

One home for each job:

- ``db``: engine, per-service base, ``SessionDep`` (commit or roll back per request),
  ``DryRunSessionDep`` / ``Transaction(engine, dry_run=True)`` (run the writes, keep none),
  ``update_versioned`` (optimistic locking);
- ``etag``: ``ExpectedVersion`` (If-Match required) and ``OptionalVersion``;
- ``audit``: ``audit_model(Base)`` and ``Recorder(AuditEntry)``, the one way to audit a write;
- ``updates``: ``refuse_empty`` (a partial update cannot empty a required field);
- ``clock``: the council's ``today()`` (UK date; services ask ``asof.today(session)``);
- ``grouping``: ``group_by`` (rows by parent id, for batch lookups);
- ``pagination``: ``window`` (a service's page of a list, no COUNT), ``counted`` (REST's
  total for it), REST ``Page``/``PageDep``;
- ``graphql``: ``page``, ``parse_id``/``optional_id``, ``graphql_enum``, ``Page[X]``,
  ``Context.loader`` (DataLoaders), ``validate``;
- ``auth``: tokens, roles, ``Principal.claims`` for a service's own grants;
- ``settings``: ``CommonSettings``, ``ServiceSettings``, ``peer_url`` (where a peer is).
"""
