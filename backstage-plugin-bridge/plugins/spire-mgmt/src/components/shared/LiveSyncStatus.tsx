import Typography from '@material-ui/core/Typography';
import { ErrorPanel } from './ErrorPanel';
import { ErrorContext } from './errorMessages';

/**
 * Whether the view follows its changes live: a status line while it does, or why it stopped (the error that
 * ended a stream, or a read that failed) and a way to read the view again.
 */
export function LiveSyncStatus(props: {
  streamError: unknown;
  context: ErrorContext;
  following: string;
  onReload: () => void;
}) {
  const { streamError, context, following, onReload } = props;
  if (streamError) {
    return (
      <ErrorPanel
        error={streamError}
        context={context}
        action={{ label: 'Reload and follow again', onClick: onReload }}
      />
    );
  }
  return (
    <Typography variant="body2" role="status">
      {following}
    </Typography>
  );
}
