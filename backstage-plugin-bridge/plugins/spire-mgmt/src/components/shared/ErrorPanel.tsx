import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { describeError, ErrorContext, ErrorDescription } from './errorMessages';

/**
 * An error of a spire-mgmt call in words (an ARIA alert), with an optional action such as a retry. `describe`
 * words it (by default {@link describeError}) for what the user was doing (`context`).
 */
export function ErrorPanel(props: {
  error: unknown;
  context: ErrorContext;
  describe?: (error: unknown, context: ErrorContext) => ErrorDescription;
  action?: { label: string; onClick: () => void };
}) {
  const { title, message } = (props.describe ?? describeError)(
    props.error,
    props.context,
  );
  return (
    <Box
      role="alert"
      border={1}
      borderColor="error.main"
      borderRadius={4}
      p={2}
    >
      <Typography variant="h6" component="h3">
        {title}
      </Typography>
      <Typography variant="body2">{message}</Typography>
      {props.action && (
        <Box mt={1}>
          <Button
            variant="outlined"
            color="primary"
            onClick={props.action.onClick}
          >
            {props.action.label}
          </Button>
        </Box>
      )}
    </Box>
  );
}
