# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""Connection groups: the options of one connection, and everything that follows from them.

A ``ConnectionGroup`` owns, for one service connection (or for the transport
options every connection shares):

- its argument spec (``argument_spec()``), documented by exactly one doc
  fragment (``fragment``; a unit test compares the two);
- its constraints between options (``mutually_exclusive``,
  ``required_together``, ``required_one_of``), which Ansible checks;
- its validation beyond them (``validate(params)``, raising ``OptionError``);
- the secrets it adds to masking beyond its ``no_log`` options (``secrets(params)``);
- its warnings (``warnings(params)``);
- the factory of its client (``client(params, **settings)``), which turns
  options into the named arguments of a client that knows nothing of Ansible;
- its options as a module would see them, for a caller that is not a module
  (an event source): ``options_from(args)`` applies the environment fallbacks
  and defaults of the argument spec.

A service group lists the groups it builds on in ``includes`` (the transport
group); ``compose()`` flattens them in order. The base module composes the
groups of its connection and knows no service.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import DEFAULT_TIMEOUT
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import url_password

CONSTRAINTS = ("mutually_exclusive", "required_together", "required_one_of")


def fallback_variables(option):
    """The environment variables an option of an argument spec falls back to (``env_fallback``), in order."""
    fallback = option.get("fallback")
    return list(fallback[1]) if fallback else []


class ConnectionGroup:
    """The options of one connection; subclasses fill in the parts they own."""

    fragment = None
    includes = ()
    mutually_exclusive = ()
    required_together = ()
    required_one_of = ()
    # The option holding the server's address, whose user info is masked even when the URL is refused.
    url_option = None

    def argument_spec(self):
        return {}

    def resolve(self, params, given):
        """Settle options that exclude each other when some came from the environment.

        ``given`` names the options the task set itself (``module_defaults``
        included); the others hold their environment fallback, if any. Runs
        before ``validate``.
        """

    def validate(self, params):
        """Refuse what the constraints cannot express; runs before the module's own checks."""

    def secrets(self, params):
        """Values to mask that no ``no_log`` option holds as such."""
        password = url_password(params.get(self.url_option)) if self.url_option else None
        return [password] if password else []

    def warnings(self, params):
        return []

    def client_arguments(self, params):
        """The named arguments this group's options give a client."""
        return {}

    def client(self, params, **settings):
        """A client for these options (``settings``: redactor, read_only, and what the task asks for)."""
        raise NotImplementedError("%s builds no client" % type(self).__name__)

    def options_from(self, args, environ=None):
        """This group's options from ``args`` for a caller that is not a module (an event source).

        Each option is the value given, else (unset or empty) the first of its
        environment fallback variables that is set (in ``environ``, by default
        the process environment), else its default; an empty value is None.
        Types are the caller's to check.
        """
        environ = os.environ if environ is None else environ
        options = {}
        for name, option in self.argument_spec().items():
            value = args.get(name)
            if value in (None, ""):
                value = next((environ[var] for var in fallback_variables(option) if var in environ), None)
            if value in (None, ""):
                value = option.get("default")
            options[name] = value
        return options

    def compose(self):
        """This group after the groups it includes, each once."""
        groups = []
        for group in self.includes:
            groups.extend(g for g in group.compose() if g not in groups)
        groups.append(self)
        return groups


class TransportGroup(ConnectionGroup):
    """TLS and timeout, the options of every connection (doc fragment ``scriptbridge.core.transport``)."""

    fragment = "transport"

    def argument_spec(self):
        return dict(
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="int", default=DEFAULT_TIMEOUT),
        )

    def warnings(self, params):
        if params.get("validate_certs") is False:
            return ["validate_certs is false: the server's TLS certificate is not checked, so credentials can be "
                    "intercepted. Prefer ca_path with the CA bundle of the server."]
        return []

    def client_arguments(self, params):
        return dict(validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
                    timeout=params.get("timeout"))


TRANSPORT = TransportGroup()


def module_arguments(groups, argument_spec, constraints):
    """``argument_spec`` and constraint keyword arguments of ``AnsibleModule`` from groups and a module's own.

    The module's own options win over a group's of the same name; constraints add up.
    """
    spec = {}
    kwargs = dict((name, []) for name in CONSTRAINTS)
    for group in groups:
        spec.update(group.argument_spec())
        for name in CONSTRAINTS:
            kwargs[name].extend(list(entry) for entry in getattr(group, name))
    spec.update(argument_spec)
    for name in CONSTRAINTS:
        kwargs[name].extend(list(entry) for entry in constraints.get(name, ()))
    other = dict((name, value) for name, value in constraints.items() if name not in CONSTRAINTS)
    kwargs.update(other)
    return spec, dict((name, value) for name, value in kwargs.items() if value)


def settle(params, given, first, second, conflict):
    """Of two sets of options that exclude each other, keep the one the task set.

    Options from the environment give way to options the task sets (an
    automation platform credential may inject its variables into every task);
    when the task sets both, or neither comes from the task, ``conflict`` is
    raised, because the intent cannot be known.
    """
    first_set = [name for name in first if params.get(name) not in (None, "")]
    second_set = [name for name in second if params.get(name) not in (None, "")]
    if not first_set or not second_set:
        return
    first_given = any(name in given for name in first_set)
    second_given = any(name in given for name in second_set)
    if first_given == second_given:
        raise conflict
    for name in second if first_given else first:
        params[name] = None
