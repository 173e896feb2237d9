# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The error type owns the two sentences about what ran: "may have run" and "nothing was run"."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    MAY_HAVE_RUN,
    NOTHING_RAN,
    AuthError,
    ScriptBridgeError,
)


@pytest.mark.parametrize("message", ["The login was refused", "The login was refused.", "The login was refused.  "])
def test_nothing_ran_adds_its_sentence_once(message):
    error = AuthError(message, nothing_ran=True)
    assert error.message == "The login was refused. " + NOTHING_RAN
    assert AuthError(error.message, nothing_ran=True).message == error.message


def test_a_question_keeps_its_mark():
    assert ScriptBridgeError("Is the tenant running?", nothing_ran=True).message == "Is the tenant running? " + NOTHING_RAN


def test_may_have_run_adds_its_sentence_once():
    error = ScriptBridgeError("The connection broke", may_have_run=True)
    assert error.message == "The connection broke. " + MAY_HAVE_RUN and error.may_have_run is True
    assert ScriptBridgeError(error.message, may_have_run=True).message == error.message


def test_an_error_says_nothing_about_running_unless_told():
    assert ScriptBridgeError("Bad answer.").message == "Bad answer."


def test_an_error_cannot_say_both():
    with pytest.raises(ValueError):
        raise ScriptBridgeError("x", may_have_run=True, nothing_ran=True)
