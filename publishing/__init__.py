"""The portal's one Django app, organised by subject (see docs/architecture.md).

``models.py``, ``migrations/``, ``admin.py``, ``management/`` and ``templatetags/`` stay where Django
looks for them; everything else lives in a subject package: ``core`` (shared kernel), ``ftrack``
(the only package that talks to ftrack), ``uploads``, ``pipeline``, ``vault``, ``notify``,
``dashboard``, ``web`` and ``api``. Each package's docstring says what it owns and whom it may
import; tests/architecture/test_import_rules.py holds those rules.
"""
