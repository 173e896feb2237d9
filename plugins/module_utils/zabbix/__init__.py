# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""Zabbix: the JSON-RPC client and its version rules, the connection group, the checks of the ids
the modules take, and the tasks of the Zabbix modules (running a script, acknowledging problems).

May import: ``core`` and ``zabbix``. Never ``superoffice`` (the services do not know each other)
nor ``eda``. Files are private to the collection and carry no leading underscore (see ``core``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
