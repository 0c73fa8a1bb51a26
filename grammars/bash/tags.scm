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
