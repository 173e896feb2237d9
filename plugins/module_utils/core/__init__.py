# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The layer every service builds on: errors, the HTTP transport and redaction, JSON-RPC,
connection groups, the task shape, and the base module and action runner that run a task.

May import: the Python standard library, ``requests``, ``ansible.module_utils`` and ``core``
itself. It knows no service: it never imports ``zabbix``, ``superoffice`` or ``eda``.

Every module_utils file of the collection is private to it (not a public API), so the files of
these packages carry no leading underscore: the package path says where a file belongs, its name
says what it holds. ``tests/unit/plugins/test_layout.py`` checks the import rules of every package.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
