# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""SuperOffice Online, unattended: environments and tenant ids, the guarded crypto libraries, the
application's key and signing, the JWT checks, tenant status and its cache, the exchanges with the
environment host's login service, the client of a tenant named by its id, and the Online groups.

May import: ``core``, ``superoffice.online``, and the client layer of ``superoffice`` (``urls``,
``vocabulary``, ``client``); never the SuperOffice connection group or tasks, which build on this
package. Never ``zabbix`` nor ``eda``. Files are private to the collection and carry no leading
underscore (see ``core``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
