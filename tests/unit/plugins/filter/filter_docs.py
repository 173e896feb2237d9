# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The check that every filter of a plugin file has its documentation beside it, matching its arguments."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml


def assert_filters_documented(plugin_module, names):
    """``plugin_module``'s FilterModule offers exactly ``names``, each with a ``<name>.yml`` that fits its arguments."""
    folder = os.path.dirname(plugin_module.__file__)
    filters = plugin_module.FilterModule().filters()
    assert sorted(filters) == sorted(names)
    for name, function in filters.items():
        with open(os.path.join(folder, name + ".yml"), encoding="utf-8") as source:
            doc = yaml.safe_load(source)
        assert doc["DOCUMENTATION"]["name"] == name
        assert doc["EXAMPLES"].strip() and doc["RETURN"]["_value"]["description"]
        options = set(doc["DOCUMENTATION"]["options"]) - {"_input"}
        code = function.__code__
        assert options == set(code.co_varnames[1:code.co_argcount]), name
