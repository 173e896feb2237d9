# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The ids and names the Zabbix tasks take as options, checked the same way before any request.

The ``eventids`` of ``zabbix_event_acknowledge`` and the target options of
``zabbix_script_execute`` (host and event ids, host names) name each object
once: a list that is not empty, no empty entry, ids that are numbers, no entry
twice (a script runs, and a message is written, once per object named).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import OptionError

_ID = re.compile(r"^[0-9]+$")


def check_ids(option, values):
    """Refuse the entries of ``option`` that are not numeric Zabbix ids."""
    bad = [value for value in values if not _ID.match(str(value))]
    if bad:
        raise OptionError("%s must hold numeric Zabbix ids; got %s." % (option, ", ".join(repr(b) for b in bad)))


def check_listed(option, values, noun, numeric):
    """The entries of ``option`` without surrounding blanks, checked: some, none empty, ids numeric, each once.

    ``noun`` says what an entry names (host, event); ``numeric``, that entries are ids.
    """
    values = [value.strip() if isinstance(value, str) else value for value in values or []]
    if not values:
        raise OptionError("%s is empty: an empty list names no %s; name at least one." % (option, noun))
    if any(not value for value in values):
        raise OptionError("%s contains an empty value%s." % (option, ": give numeric Zabbix ids" if numeric else ""))
    if numeric:
        check_ids(option, values)
    seen = set()
    twice = sorted(set(value for value in values if value in seen or seen.add(value)))
    if twice:
        raise OptionError("%s names %s more than once: list each %s once." % (option, ", ".join(twice), noun))
    return values
