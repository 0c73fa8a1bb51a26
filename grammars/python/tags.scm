; Python: definitions (with header/body split and docstrings), references, imports.

(class_definition
  name: (identifier) @name
  body: (block . (expression_statement (string) @doc)?) @body) @definition.class

(function_definition
  name: (identifier) @name
  body: (block . (expression_statement (string) @doc)?) @body) @definition.function

(module
  (expression_statement
    (assignment left: (identifier) @name) @definition.constant))

(class_definition
  body: (block
    (expression_statement
      (assignment left: (identifier) @name) @definition.field)))

(call
  function: [
    (identifier) @name
    (attribute attribute: (identifier) @name)
  ]) @reference.call

(type (identifier) @name) @reference.type

(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import

; Names read anywhere: every identifier is a candidate use. The context engine drops the ones
; bound in the enclosing function (@local) and the language's builtins (language.toml).
(identifier) @name @reference.value
(attribute attribute: (identifier) @name) @reference.attribute
(import_from_statement name: (dotted_name (identifier) @name) @reference.import)
(import_from_statement
  name: (aliased_import name: (dotted_name (identifier) @name)) @reference.import)

; Name nodes that are no use of a definition.
(keyword_argument name: (identifier) @skip)
(function_definition name: (identifier) @skip)
(class_definition name: (identifier) @skip)
(import_from_statement module_name: (dotted_name (identifier) @skip))
(import_from_statement module_name: (relative_import (dotted_name (identifier) @skip)))
(import_statement name: (dotted_name (identifier) @skip))
(aliased_import alias: (identifier) @skip)

; Names bound where they stand: parameters and local variables.
(parameters (identifier) @local)
(lambda_parameters (identifier) @local)
(default_parameter name: (identifier) @local)
(typed_parameter (identifier) @local)
(typed_default_parameter name: (identifier) @local)
(list_splat_pattern (identifier) @local)
(dictionary_splat_pattern (identifier) @local)
(assignment left: (identifier) @local)
(assignment left: [(pattern_list) (tuple_pattern) (list_pattern)] (identifier) @local)
(augmented_assignment left: (identifier) @local)
(for_statement left: (identifier) @local)
(for_statement left: [(pattern_list) (tuple_pattern)] (identifier) @local)
(for_in_clause left: (identifier) @local)
(for_in_clause left: [(pattern_list) (tuple_pattern)] (identifier) @local)
(as_pattern alias: (as_pattern_target (identifier) @local))
(named_expression name: (identifier) @local)
