# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The one shape of a module's work: a task built from its options and a client.

A ``Task`` subclass declares the module's own options (``argument_spec``,
``constraints``) and the ``connection`` group it talks through, and implements:

- ``check_options(params)`` (class method): the module's options, checked
  before any request, as the ``options`` the task is built from;
- ``client_settings(options)`` (class method): what the task asks of its
  client beyond the connection options (for example a pool size);
- ``predict()``: check mode; read-only requests only. The client's transport is
  opened read-only, so a request that acts is refused before it is sent;
- ``execute()``: the real run.

Both return the module's result dict or raise a ``ScriptBridgeError``.
``run_task`` decides, once, which of the two runs and closes the client.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class Task:
    """Base of every task; see the module docstring."""

    connection = None
    argument_spec = {}
    constraints = {}

    def __init__(self, options, client):
        self.options = options
        self.client = client

    @classmethod
    def check_options(cls, params):
        """The options this task is built from, checked; raises ``OptionError``."""
        return dict((name, params.get(name)) for name in cls.argument_spec)

    @classmethod
    def client_settings(cls, options):
        return {}

    def predict(self):
        raise NotImplementedError

    def execute(self):
        raise NotImplementedError


def run_task(task_class, options, client, check_mode):
    """``predict()`` in check mode, else ``execute()``, of a task on ``client``; the client is closed after."""
    with client:
        task = task_class(options, client)
        return task.predict() if check_mode else task.execute()
