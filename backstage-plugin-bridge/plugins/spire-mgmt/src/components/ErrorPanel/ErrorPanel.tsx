import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import {
  describeError,
  ErrorDescription,
} from '../EntitySpireMgmtContent/errorMessages';

/**
 * An error of a spire-mgmt call as an alert: what happened and what to do (`describe`, by default the
 * plugin's general wording), with an optional action such as "Try again".
 */
export function ErrorPanel(props: {
  error: unknown;
  describe?: (error: unknown) => ErrorDescription;
  action?: { label: string; onClick: () => void };
}) {
  const { title, message } = (props.describe ?? describeError)(props.error);
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
