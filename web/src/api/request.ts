import type { AnyVariables, DocumentInput, OperationResult } from '@urql/core';
import { client } from './client.js';
import { ApiError, fromCombined } from './errors.js';

function check<D>(result: OperationResult<D>): D {
  if (result.error) throw fromCombined(result.error);
  if (!result.data) throw new ApiError('The server sent an empty answer.', 'EmptyResult');
  return result.data;
}

/** Runs a query against the network (fresh data every time) and returns its data or throws `ApiError`. */
export async function query<D, V extends AnyVariables = AnyVariables>(document: DocumentInput<D, V>, variables: V): Promise<D> {
  return check(await client.query(document, variables, { requestPolicy: 'network-only' }).toPromise());
}

/** Runs a mutation and returns its data or throws `ApiError`. */
export async function mutate<D, V extends AnyVariables = AnyVariables>(document: DocumentInput<D, V>, variables: V): Promise<D> {
  return check(await client.mutation(document, variables).toPromise());
}

/**
 * Follows a subscription; `onData` gets every event, `onError` the first failure. Returns the
 * function that stops it.
 */
export function follow<D, V extends AnyVariables = AnyVariables>(
  document: DocumentInput<D, V>,
  variables: V,
  onData: (data: D) => void,
  onError?: (error: ApiError) => void,
): () => void {
  const { unsubscribe } = client.subscription(document, variables).subscribe((result) => {
    if (result.error) onError?.(fromCombined(result.error));
    else if (result.data) onData(result.data);
  });
  return unsubscribe;
}
