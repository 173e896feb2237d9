# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Nothing is executed. The module makes the read-only calls that tell whether the script would run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff mode).
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
    details:
      - The module talks to an API over HTTP; run it on the controller.
"""

    ACTIONGROUP_ZABBIX = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/scriptbridge.core.zabbix) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - scriptbridge.core.zabbix
"""

    ACTIONGROUP_SUPEROFFICE = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/scriptbridge.core.superoffice) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - scriptbridge.core.superoffice
"""
