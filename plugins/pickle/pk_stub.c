/* SPDX-License-Identifier: MIT */
/* pk_stub.c: placeholder until the pickle VM lands. */
typedef int pk_stub_translation_unit_is_not_empty;
