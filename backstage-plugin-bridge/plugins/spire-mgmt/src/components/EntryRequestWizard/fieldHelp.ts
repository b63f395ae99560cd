/**
 * The `error` and `helperText` of a TextField: the field's problems when it has any (announced through the
 * helper text, which the input names as its description), else its hint.
 */
export function fieldHelp(
  hint: string,
  problems: string[] | undefined,
): { error: boolean; helperText: string } {
  return problems && problems.length > 0
    ? { error: true, helperText: problems.join(' ') }
    : { error: false, helperText: hint };
}
