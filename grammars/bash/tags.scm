; Bash: functions (the comments right before them as doc), global variables, commands run,
; sourced files.

((comment)* @doc
  .
  (function_definition name: (word) @name body: (_) @body) @definition.function)

(program
  (variable_assignment name: (variable_name) @name) @definition.variable)

(program
  (comment)+ @doc
  .
  (variable_assignment name: (variable_name) @name) @definition.variable)

(program
  (declaration_command (variable_assignment name: (variable_name) @name)) @definition.variable)

(program
  (comment)+ @doc
  .
  (declaration_command (variable_assignment name: (variable_name) @name)) @definition.variable)

((command name: (command_name (word) @name)) @reference.call
  (#not-match? @name "^(source|\\.)$"))

((command name: (command_name (word) @_source)) @import
  (#match? @_source "^(source|\\.)$"))

; Names read anywhere: every identifier is a candidate use. The context engine drops the ones
; bound in the enclosing function (@local) and the language's builtins (language.toml).
(variable_name) @name @reference.value

; Names bound where they stand: local variables of a function.
(declaration_command (variable_assignment name: (variable_name) @local))
(for_statement variable: (variable_name) @local)
